"""The data-loader checks every domain shares."""

import pytest

from keras_zoo.applications.common.datasets import check_max_examples, check_split_fractions, tfds_builder


def test_split_fractions():
    check_split_fractions(0.15, 0.15, test_given=False)
    check_split_fractions(0.5, 0.6, test_given=True)  # a separate test set: the test fraction is unused
    with pytest.raises(ValueError, match="to leave images for training.*val_fraction=0.5, test_fraction=0.5"):
        check_split_fractions(0.5, 0.5, test_given=False, what="images")
    with pytest.raises(ValueError, match=r"test_fraction must be a number in \[0, 1\). Received: test_fraction=1"):
        check_split_fractions(0.1, 1, test_given=True)


@pytest.mark.parametrize("value", [0, -1, 2.5, True, "10"])
def test_max_examples_must_be_positive(value):
    with pytest.raises(ValueError, match="max_examples must be a positive int or None"):
        check_max_examples(value)


def test_tfds_builder_names_what_is_missing():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=4):
        builder = tfds_builder("mnist", features={"image": "Image", "label": "ClassLabel"},
                               task="an image-classification set", application="the vision application")
        assert builder.info.features["label"].num_classes == 10
        with pytest.raises(ValueError, match="not a text-classification set.*needs a 'text' \\(Text\\)"):
            tfds_builder("mnist", features={"text": "Text", "label": "ClassLabel"},
                         task="a text-classification set", application="the NLP application")
    with pytest.raises(ValueError, match="no data set named 'mnistt'. Did you mean: mnist"):
        tfds_builder("mnistt", features={}, task="a set", application="the test")
