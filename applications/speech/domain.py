"""Speech as the `zoo` command sees it: keyword spotting (`applications/speech/pipeline.py`)."""

from __future__ import annotations

from keras_zoo.applications.common.domain import Domain

DEFAULT_TRAIN = dict(epochs=40, batch_size=64, optimizer="adam", learning_rate=3e-3, schedule="cosine", patience=10)


class SpeechDomain(Domain):
    name = "speech"
    pipeline = "keras_zoo.applications.speech.pipeline"
    default_train = DEFAULT_TRAIN
    tune_unit = "clips"
    input_benchmarked = True
    float_inputs = "audio"
    own_flags = {"--features": "features", "--group-by": "group_by", "--speaker-regex": "speaker_regex",
                 "--test-speaker": "test_speaker"}

    def add_arguments(self, parser):
        group = parser.add_argument_group("speech")
        group.add_argument("--features", choices=("log_mel", "mfcc"), help="what the network hears (default "
                           "log_mel: 40 log-mel bands every 10 ms)")
        group.add_argument("--group-by", choices=("speaker",), help="a folder source: validation and test hold "
                           "out whole speakers, read from the file names (<label>_<speaker>_<n>.wav)")
        group.add_argument("--speaker-regex", metavar="REGEX", help="with --group-by speaker: reads the speaker "
                           "from a file name without extension, by its (?P<speaker>...) group")
        group.add_argument("--test-speaker", action="append", metavar="NAME", help="with --group-by speaker: test "
                           "on this speaker (repeat for more; one fold of leave-one-speaker-out)")

    def summary(self, record):
        header, rows, notes = super().summary(record)
        real = record.get("real_voices")
        if real:  # a run on the synthetic sample: what it is worth on people
            speakers = ", ".join(f"{name} {acc:.2f}" for name, acc in real["per_speaker"].items())
            svm = real.get("mfcc_svm")
            baseline = (f"; mfcc_svm {svm['accuracy']:.4f}, {svm['accuracy_among_digits']:.4f} among the digits"
                        if svm else "")
            notes.append(f"Real voices: {real['clips']} clips of {len(real['per_speaker'])} people saying digits, "
                         f"never heard (training heard synthetic voices only): accuracy {real['accuracy']:.4f}, "
                         f"{real['accuracy_among_digits']:.4f} choosing among the digits ({speakers}){baseline}.")
        return header, rows, notes

    def check_model(self, name):
        self.module.check_speech_model(name)


DOMAIN = SpeechDomain()
