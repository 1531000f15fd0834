/*
 * mallocTrim(): glibc's malloc_trim(0). It gives back to the system the free pages of every
 * malloc arena (the main one and each thread's), where glibc by itself returns only the top of
 * the main arena. Returns true when memory was released, false when none was, and undefined
 * where the C library has no malloc_trim (musl, on Alpine: its allocator returns memory itself).
 */
#include "addon.h"
#ifdef __GLIBC__
#include <malloc.h>
#endif

static napi_value malloc_trim_js(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
#ifdef __GLIBC__
  napi_get_boolean(env, malloc_trim(0) == 1, &result);
#else
  napi_get_undefined(env, &result);
#endif
  return result;
}

napi_status turnpike_trim_init(napi_env env, napi_value exports) {
  return turnpike_export(env, exports, "mallocTrim", malloc_trim_js) == 0 ? napi_ok : napi_generic_failure;
}
