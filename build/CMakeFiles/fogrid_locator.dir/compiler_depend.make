# Empty compiler generated dependencies file for fogrid_locator.
# This may be replaced when dependencies are built.
