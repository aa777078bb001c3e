"""End-to-end applications of the zoo, and the `zoo` command line (`applications.cli`)."""
