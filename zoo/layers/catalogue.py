"""Every item number of a catalogue, as a tensor inside a model (for a softmax over all items)."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class ItemRange(keras.layers.Layer):
    """Returns the item numbers `start, start + 1, ..., stop - 1` as an int32 vector, whatever its input.

    A functional model that scores a user against the whole catalogue needs the catalogue's item
    numbers as a tensor of its graph: this layer makes them, from any input it is connected to (the
    input only places it in the graph), so the item tower can run on all items in one call.

    Args:
        start: the first item number (1 when row 0 is the "unknown item").
        stop: one past the last item number.

    Example:
        >>> ids = keras.Input((2,), dtype="int32")
        >>> items = ItemRange(1, 51)(ids)   # (50,): 1..50
    """

    def __init__(self, start: int, stop: int, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= int(start) < int(stop):
            raise ValueError(f"ItemRange needs 0 <= start < stop. Received: start={start!r}, stop={stop!r}")
        self.start, self.stop = int(start), int(stop)

    def call(self, inputs):
        return ops.arange(self.start, self.stop, dtype="int32")

    def compute_output_shape(self, input_shape):
        return (self.stop - self.start,)

    def get_config(self) -> dict:
        return {**super().get_config(), "start": self.start, "stop": self.stop}
