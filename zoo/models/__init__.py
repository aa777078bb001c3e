"""The built-in families. Importing a family module registers its models (and imports no Keras)."""

from keras_zoo.models import cnn, keras_apps, kws, mlp, recommender, resnet, rnn, sasrec, tcn, textcnn, transformer  # noqa: F401
