# Empty compiler generated dependencies file for fogrid-tests.
# This may be replaced when dependencies are built.
