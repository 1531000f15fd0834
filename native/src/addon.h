/* Turnpike's native addon: each concern adds its functions to the exports in its own file. */
#ifndef TURNPIKE_ADDON_H
#define TURNPIKE_ADDON_H
#include <node_api.h>

/* Adds one function to the exports; returns 0 on success. */
int turnpike_export(napi_env env, napi_value exports, const char *name, napi_callback fn);

/* trim.c: mallocTrim() */
napi_status turnpike_trim_init(napi_env env, napi_value exports);

/* splice.c: spliceSetup(), spliceAdd(), spliceAbort(), spliceActive() (Linux only) */
napi_status turnpike_splice_init(napi_env env, napi_value exports);

#endif
