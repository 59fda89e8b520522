/*
 * unit_glue.h - force-included (-include) into every tests/unit/test_X.c
 * built for the unit image, with -DCRTO_UNIT_COUNTS=crto_unit_X_counts.
 *
 * crto_test.h keeps its pass/fail counters in static variables, one set per
 * test program. This file pulls crto_test.h in first, so that it can define
 * one exported function, inside the test's own translation unit, that hands
 * the counters to the runner (unit_main.c). The tests and crto_test.h stay
 * unchanged; the test's own #include "crto_test.h" is then a no-op.
 */
#ifndef CRTO_MPS2_UNIT_GLUE_H
#define CRTO_MPS2_UNIT_GLUE_H

#include "crto_test.h"

void CRTO_UNIT_COUNTS(int *passed, int *failed);
void CRTO_UNIT_COUNTS(int *passed, int *failed)
{
    *passed = crto_test_passed_;
    *failed = crto_test_failed_;
}

#endif
