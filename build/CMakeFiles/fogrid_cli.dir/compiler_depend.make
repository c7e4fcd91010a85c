# Empty compiler generated dependencies file for fogrid_cli.
# This may be replaced when dependencies are built.
