file(REMOVE_RECURSE
  "libfogrid_locator.a"
)
