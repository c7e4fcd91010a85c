file(REMOVE_RECURSE
  "libfogrid_cli.a"
)
