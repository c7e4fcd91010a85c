# Empty compiler generated dependencies file for fogrid.
# This may be replaced when dependencies are built.
