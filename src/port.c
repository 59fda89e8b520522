/*
 * port.c - checks a port before a client trusts it.
 */
#include "crto/crto_port.h"

crto_err_t crto_port_check(const crto_port_t *port, crto_diag_t *diag)
{
    const char *missing = NULL;
    if (port == NULL) {
        return crto_diag_set(diag, CRTO_ERR_CONFIG, "no port given");
    }
    if (port->connect == NULL) {
        missing = "connect";
    } else if (port->send == NULL) {
        missing = "send";
    } else if (port->recv == NULL) {
        missing = "recv";
    } else if (port->close == NULL) {
        missing = "close";
    } else if (port->now_ms == NULL) {
        missing = "now_ms (a monotonic clock is required: timeouts depend on it)";
    } else if (port->entropy == NULL) {
        missing = "entropy";
    }
    if (missing != NULL) {
        return crto_diag_set(diag, CRTO_ERR_CONFIG, "the port has no %s function", missing);
    }
    return CRTO_OK;
}
