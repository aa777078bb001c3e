"""Vision as the `zoo` command sees it: image classification (`applications/vision/pipeline.py`)."""

from __future__ import annotations

from keras_zoo.applications.common.domain import Domain


class VisionDomain(Domain):
    name = "vision"
    pipeline = "keras_zoo.applications.vision.pipeline"
    tune_unit = "images"
    input_benchmarked = True
    searches = True
    float_inputs = "pixels"
    own_flags = {"--image-size": "image_size"}

    def add_arguments(self, parser):
        group = parser.add_argument_group("vision")
        group.add_argument("--image-size", type=int, nargs=2, metavar=("HEIGHT", "WIDTH"), help="resize images to this")

    def check_model(self, name):
        self.module.check_image_model(name)


DOMAIN = VisionDomain()
