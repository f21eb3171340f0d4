"""minigrad.optim: optimizers (``SGD``, ``Adam``, ``AdamW``) and, in ``lr_scheduler``, learning-rate schedules."""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW
from . import lr_scheduler
