# Empty compiler generated dependencies file for fogrid-locator.
# This may be replaced when dependencies are built.
