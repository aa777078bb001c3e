"""Checkpoints that ship with keras-zoo, one folder `<model>.<tag>/` each (data only).

This is a package only so that `pip install .` installs the folders beside the code; see
`keras_zoo.checkpoints` for how they are found and loaded.
"""
