file(REMOVE_RECURSE
  "libfogrid_proto.a"
)
