{
  "targets": [
    {
      "target_name": "turnpike_native",
      "sources": ["src/addon.c", "src/trim.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
