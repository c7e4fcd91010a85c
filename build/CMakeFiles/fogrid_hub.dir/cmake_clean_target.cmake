file(REMOVE_RECURSE
  "libfogrid_hub.a"
)
