"""Training side of garble-detector: clean text -> corrupted, labelled data -> fine-tuned model."""
