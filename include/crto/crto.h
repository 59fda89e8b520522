/*
 * crto.h - everything public in one include.
 *
 * crto is a zero-malloc C client for Criteo's Audience Segments API
 * (Marketing Solutions and Retail Media) for POS terminals, kiosks and the
 * gateways beside them. Start with crto_client.h and crto_contact_list.h.
 */
#ifndef CRTO_H
#define CRTO_H

#include "crto_audiences.h"
#include "crto_bulk.h"
#include "crto_client.h"
#include "crto_config.h"
#include "crto_contact_list.h"
#include "crto_error.h"
#include "crto_http.h"
#include "crto_identifier.h"
#include "crto_journal.h"
#include "crto_json.h"
#include "crto_port.h"
#include "crto_segments.h"
#include "crto_tls.h"

#define CRTO_VERSION_STRING "0.1.0"

#endif /* CRTO_H */
