file(REMOVE_RECURSE
  "CMakeFiles/fogrid_cli.dir/cli/cli_placeholder.c.o"
  "CMakeFiles/fogrid_cli.dir/cli/cli_placeholder.c.o.d"
  "libfogrid_cli.a"
  "libfogrid_cli.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fogrid_cli.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
