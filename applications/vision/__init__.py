"""The vision application: image classification with registry models."""
