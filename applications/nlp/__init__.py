"""The NLP application: text classification on a synthetic corpus, TFDS, text folders or CSV files."""
