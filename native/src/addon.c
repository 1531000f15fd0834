/* The module's entry: every concern registers its functions (see addon.h). */
#include "addon.h"

int turnpike_export(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value value;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &value) != napi_ok) return -1;
  if (napi_set_named_property(env, exports, name, value) != napi_ok) return -1;
  return 0;
}

static napi_value init(napi_env env, napi_value exports) {
  if (turnpike_trim_init(env, exports) != napi_ok) return NULL;
  if (turnpike_splice_init(env, exports) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
