{
  "targets": [
    {
      "target_name": "turnpike_native",
      "sources": ["src/addon.c", "src/trim.c", "src/splice.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
