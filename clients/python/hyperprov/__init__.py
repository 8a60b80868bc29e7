"""HyperProv's Python client: record each training checkpoint on the project's ledger, without slowing training.

    import hyperprov
    hyperprov.epoch('out/model.pt', epoch=3, metrics={'loss': 0.41}, datasets={'train': 'data/train'})

Standard library only; talks to the project server (`hyperprov serve`), starting it when none
runs. By default nothing here raises into the training loop: failures are logged on the
'hyperprov' logger and the request is kept in `.hyperprov/hook-spool/` and re-sent.
"""
from ._errors import HyperProvError
from ._keras import KerasCallback
from ._sender import EpochHandle
from ._tracker import Run, Tracker, default_run, epoch, flush, record_checkpoint, torch_save

__version__ = '0.1.0'

__all__ = ['HyperProvError', 'EpochHandle', 'KerasCallback', 'Run', 'Tracker', 'default_run', 'epoch', 'flush',
           'record_checkpoint', 'torch_save', '__version__']
