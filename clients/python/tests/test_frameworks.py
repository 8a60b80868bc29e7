"""The Keras callback, driven the way Keras drives callbacks, and the PyTorch helper with a stand-in torch."""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
import time
import types

from helpers import ProjectTestCase, hyperprov


class StandInModel:
    """What the callback needs of a Keras model: save(path). Writes new bytes each epoch, in place."""

    def __init__(self, size: int = 4096):
        self.size = size
        self.saved = []

    def save(self, path):
        data = hashlib.sha256(str(len(self.saved)).encode()).digest() * (self.size // 32)
        with open(path, 'wb') as file:  # same name every epoch: an in-place overwrite
            file.write(data)
        self.saved.append(hashlib.sha256(data).hexdigest())


class FloatLike:
    """Like numpy.float32 in Keras logs."""

    def __init__(self, value):
        self.value = value

    def __float__(self):
        return float(self.value)


class StandInModelCheckpoint:
    """Keras' ModelCheckpoint as far as the callback sees it: writes the file in its on_epoch_end."""

    def __init__(self, filepath, save_epochs=None):
        self.filepath = filepath
        self.save_epochs = save_epochs

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        pass

    def on_epoch_end(self, epoch, logs=None):
        if self.save_epochs is None or epoch in self.save_epochs:
            self.model.save(self.filepath.format(epoch=epoch + 1, **(logs or {})))

    def __getattr__(self, name):  # every other hook: nothing
        if name.startswith('on_'):
            return lambda *args, **kwargs: None
        raise AttributeError(name)


def fit(model, callbacks, epochs=3, steps=4):
    """The order in which keras 3's Model.fit calls a CallbackList (set_model/set_params at construction)."""
    params = {'verbose': 1, 'epochs': epochs, 'steps': steps}
    for callback in callbacks:
        callback.set_model(model)
        callback.set_params(params)
    for callback in callbacks:
        callback.on_train_begin({})
    logs = {}
    for epoch in range(epochs):
        for callback in callbacks:
            callback.on_epoch_begin(epoch, {})
        for step in range(steps):
            for callback in callbacks:
                callback.on_train_batch_begin(step, logs={})
            for callback in callbacks:
                callback.on_train_batch_end(step, logs={'loss': 1.0})
        logs = {'loss': FloatLike(1.0 / (epoch + 1)), 'accuracy': 0.5 + epoch / 10}
        for callback in callbacks:
            callback.on_epoch_end(epoch, logs)
    for callback in callbacks:
        callback.on_train_end(logs)


class KerasCallbackTests(ProjectTestCase):
    def test_save_true_records_every_epoch_with_logs_and_keras_params(self):
        server = self.fake_server()
        model = StandInModel()
        path = os.path.join(self.project, 'model.keras')
        callback = hyperprov.KerasCallback(path, save=True, params={'lr': 0.01, 'epochs': 99},
                                           datasets={'train': 'datasets/train'}, key='models/net', run='run-k')
        fit(model, [callback])
        self.assertEqual(len(model.saved), 3)
        bodies = server.epoch_posts
        self.assertEqual([b['epoch'] for b in bodies], [1, 2, 3])  # Keras' own numbering, as it prints
        self.assertEqual(bodies[0]['metrics'], {'loss': 1.0, 'accuracy': 0.5})
        self.assertEqual(bodies[2]['metrics'], {'loss': 1.0 / 3, 'accuracy': 0.7})
        # Keras' params (steps, epochs) merged under the user's, which win; verbose is left out.
        self.assertEqual(bodies[0]['params'], {'epochs': 99, 'steps': 4, 'lr': 0.01})
        self.assertEqual({(b['model'], b['key'], b['run']) for b in bodies}, {(path, 'models/net', 'run-k')})
        self.assertEqual({b['datasets']['train'] for b in bodies}, {'datasets/train'})
        # on_train_end flushed: nothing is left to send.
        self.assertEqual(self.spooled(), [])
        self.assertEqual([h.state for h in callback.handles], ['committed'] * 3)

    def test_a_slow_server_copies_each_epoch_before_the_next_overwrite(self):
        # The fake server checks `expect` when the request arrives, as the real one does at its
        # snapshot: a save that overwrote the file first would make that epoch FILE_CHANGED, lost.
        server = self.fake_server()
        server.epoch_delay = 0.2
        path = os.path.join(self.project, 'model.keras')
        for callbacks in ([hyperprov.KerasCallback(path, save=True)],
                          [StandInModelCheckpoint(path), hyperprov.KerasCallback(path)]):
            fit(StandInModel(), callbacks)
        self.assertEqual([b['epoch'] for b in server.epoch_posts], [1, 2, 3, 1, 2, 3])
        self.assertEqual(self.failed_spool(), [])

    def test_an_outage_does_not_stall_training(self):
        path = os.path.join(self.project, 'model.keras')
        started = time.monotonic()
        with self.assertLogs('hyperprov', level='WARNING'):
            callback = hyperprov.KerasCallback(path, save=True, flush_timeout=0.5)
            fit(StandInModel(), [callback], epochs=5)
        self.assertLess(time.monotonic() - started, 3.0)
        self.assertEqual(len(self.spooled()), 5)

    def test_after_model_checkpoint_with_placeholders_and_save_best_only(self):
        server = self.fake_server()
        model = StandInModel()
        pattern = os.path.join(self.project, 'ckpt-{epoch:02d}.keras')
        best = os.path.join(self.project, 'best.keras')
        callbacks = [StandInModelCheckpoint(pattern), StandInModelCheckpoint(best, save_epochs={0, 2}),
                     hyperprov.KerasCallback(pattern), hyperprov.KerasCallback(best)]
        fit(model, callbacks)
        posts = [(os.path.basename(b['model']), b['epoch']) for b in server.epoch_posts]
        self.assertEqual(sorted(p for p in posts if p[0].startswith('ckpt')),
                         [('ckpt-01.keras', 1), ('ckpt-02.keras', 2), ('ckpt-03.keras', 3)])
        # Epoch 2 left best.keras as it was: the same bytes are not recorded a second time.
        self.assertEqual([p for p in posts if p[0] == 'best.keras'], [('best.keras', 1), ('best.keras', 3)])

    def test_a_missing_file_or_failing_save_is_logged_and_training_goes_on(self):
        self.fake_server()

        class Broken(StandInModel):
            def save(self, path):
                raise OSError('disk full')

        with self.assertLogs('hyperprov', level='WARNING') as logs:
            fit(StandInModel(), [hyperprov.KerasCallback(os.path.join(self.project, 'never-written.keras'))])
            fit(Broken(), [hyperprov.KerasCallback(os.path.join(self.project, 'b.keras'), save=True)])
        self.assertEqual(sum('put KerasCallback after' in line for line in logs.output), 1)  # said once
        self.assertEqual(sum('disk full' in line for line in logs.output), 3)

    def test_keras_sees_no_overridden_batch_hooks(self):
        callback = hyperprov.KerasCallback('m.keras')
        # keras 3: utils.is_default(cbk.on_*_batch_end) keeps asynchronous batch dispatch on.
        for name in ('on_batch_end', 'on_train_batch_end', 'on_test_batch_end', 'on_predict_batch_end'):
            self.assertTrue(getattr(getattr(callback, name), '_is_default', False), name)
        self.assertFalse(getattr(callback.on_epoch_end, '_is_default', False))
        # tf.keras 2: batch hooks are not called at all when no callback implements them.
        self.assertFalse(callback._implements_train_batch_hooks())
        self.assertFalse(callback._implements_test_batch_hooks())
        self.assertFalse(callback._implements_predict_batch_hooks())
        self.assertFalse(callback._supports_tf_logs)

    def test_tracker_keras_callback_shares_the_trackers_settings(self):
        server = self.fake_server()
        tracker = hyperprov.Tracker(run='run-t', params={'lr': 1}, key='models/t')
        callback = tracker.keras_callback(os.path.join(self.project, 'm.keras'), save=True, params={'dropout': 0.1})
        fit(StandInModel(), [callback], epochs=1)
        (body,) = server.epoch_posts
        self.assertEqual((body['run'], body['key']), ('run-t', 'models/t'))
        self.assertEqual(body['params'], {'epochs': 1, 'steps': 4, 'lr': 1, 'dropout': 0.1})


class TorchHelperTests(ProjectTestCase):
    def setUp(self):
        super().setUp()
        saved = []

        def save(obj, path):
            with open(path, 'wb') as file:
                pickle.dump(obj, file)
            saved.append(path)

        self.saved = saved
        fake = types.ModuleType('torch')
        fake.save = save
        self.addCleanup(sys.modules.pop, 'torch', None)
        previous = sys.modules.get('torch')
        if previous is not None:
            self.addCleanup(sys.modules.__setitem__, 'torch', previous)
        sys.modules['torch'] = fake

    def test_torch_save_saves_then_records(self):
        server = self.fake_server()
        path = os.path.join(self.project, 'epoch3.pt')
        handle = hyperprov.torch_save({'w': [1, 2]}, path, epoch=3, metrics={'loss': 0.25}, key='models/torch',
                                      datasets={'train': 'datasets/t'})
        self.assertIsNotNone(handle)
        self.assertEqual(self.saved, [path])
        hyperprov.flush(5)
        (body,) = server.epoch_posts
        self.assertEqual((body['model'], body['epoch'], body['metrics'], body['key']),
                         (path, 3, {'loss': 0.25}, 'models/torch'))
        self.assertEqual(body['expect']['size'], os.path.getsize(path))

    def test_a_failing_torch_save_raises_like_torch_does(self):
        def broken(obj, path):
            raise RuntimeError('cannot write')

        sys.modules['torch'].save = broken
        with self.assertRaisesRegex(RuntimeError, 'cannot write'):
            hyperprov.Tracker().torch_save({}, os.path.join(self.project, 'x.pt'), epoch=0)
        self.assertEqual(self.spooled(), [])

    def test_record_checkpoint_is_epoch(self):
        server = self.fake_server()
        hyperprov.record_checkpoint(self.checkpoint('any.ckpt'), epoch=0)
        hyperprov.flush(5)
        self.assertEqual(len(server.epoch_posts), 1)
        self.assertIs(hyperprov.Tracker.record_checkpoint, hyperprov.Tracker.epoch)
