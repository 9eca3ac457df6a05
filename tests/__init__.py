import workstation  # noqa: F401  (first: it sets Textual's frame rate before Textual is imported)
