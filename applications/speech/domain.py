"""Speech as the `zoo` command sees it: keyword spotting (`applications/speech/pipeline.py`)."""

from __future__ import annotations

from keras_zoo.applications.common.domain import Domain

DEFAULT_TRAIN = dict(epochs=40, batch_size=64, optimizer="adam", learning_rate=3e-3, schedule="cosine", patience=10)


class SpeechDomain(Domain):
    name = "speech"
    pipeline = "keras_zoo.applications.speech.pipeline"
    default_train = DEFAULT_TRAIN
    tune_unit = "clips"

    def add_arguments(self, parser):
        group = parser.add_argument_group("speech")
        group.add_argument("--features", choices=("log_mel", "mfcc"), help="what the network hears (default "
                           "log_mel: 40 log-mel bands every 10 ms)")

    def check_model(self, name):
        self.module.check_speech_model(name)


DOMAIN = SpeechDomain()
