file(REMOVE_RECURSE
  "libfogrid_common.a"
)
