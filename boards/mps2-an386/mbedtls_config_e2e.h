/*
 * mbedtls_config_e2e.h - mbedTLS for the end-to-end image of the mps2-an386
 * board: the client configuration (mbedtls_config.h) plus what the in-image
 * responder that plays Criteo needs to be a TLS 1.2 server with session
 * resumption. Only the e2e image uses it; the client figures (`make
 * m4-sizes`) are from mbedtls_config.h alone.
 */
#ifndef CRTO_MPS2_MBEDTLS_CONFIG_E2E_H
#define CRTO_MPS2_MBEDTLS_CONFIG_E2E_H

#define CRTO_MPS2_CONFIG_NO_CHECK
#include "mbedtls_config.h"
#undef CRTO_MPS2_CONFIG_NO_CHECK

#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_CACHE_C          /* session-id resumption on reconnect  */
#define MBEDTLS_SSL_CACHE_DEFAULT_MAX_ENTRIES 4
/* The arena's peak, printed by the image (board_tls_arena_peak). */
#define MBEDTLS_MEMORY_DEBUG

#include "mbedtls/check_config.h"

#endif /* CRTO_MPS2_MBEDTLS_CONFIG_E2E_H */
