"""Keras 3's recurrent cells and layers as verification targets, on the torch or jax backend.

:func:`object_target` (the hook :data:`seqcheck.adapters.engines.PACKAGES` calls for
objects of package ``keras``) holds a Keras class or instance to the spec its
configuration follows (:mod:`.layouts`, read from Keras 3.15.1's source):

===================================  =========================  ===============  ===========
target                               spec                       per-step         final
===================================  =========================  ===============  ===========
``LSTMCell``                         ``lstm``                   h, c             h, c
``GRUCell``                          ``gru``                    h                h
``GRUCell(reset_after=False)``       ``gru_lbr0``               h                h
``SimpleRNNCell``                    ``rnn_torch``              h                h
``LSTM``, ``GRU``, ``SimpleRNN``     as their cells             h                h (, c)
``keras.layers.RNN(cell)``           as its cell                h                h (, c)
``activation="relu"`` (SimpleRNN)    ``rnn_torch_relu``         as above         as above
``use_bias=False``                   ``<spec>_nobias``          as above         as above
``go_backwards=True``                ``<spec>_reverse``         h                h (, c)
``Bidirectional(layer)``             ``<spec>_bidirectional``   h_l0,            h_l0, h_l0_reverse
                                                                h_l0_reverse     (, c_l0, ...)
===================================  =========================  ===============  ===========

A class is built for every case as ``cls(H, dtype=dtype)`` on input size D; an instance
keeps its units (and, once built, its input size) and its dtype, and runs as a copy.
The modules: :mod:`.choose` (the backend, and :func:`before_import`, which whoever imports
a user's ``keras`` module calls first), :mod:`.recognise` (what an object is, and what is
refused), :mod:`.layouts`, :mod:`.calls` (calling it; the torch and jax runners) and
:mod:`.target` (:class:`KerasTarget`). keras is imported only inside functions.
"""

from .choose import before_import, keras_backend
from .layouts import FAMILIES, Configuration, Family
from .recognise import SUPPORTED, configuration_of
from .target import KerasTarget, object_target

__all__ = ["FAMILIES", "SUPPORTED", "Configuration", "Family", "KerasTarget", "before_import",
           "configuration_of", "keras_backend", "object_target"]
