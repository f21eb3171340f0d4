"""``ModelOutput``: what a model or a tokenizer hands back, a dict whose keys are also attributes.

``out.last_hidden_state`` and ``out['last_hidden_state']`` are the same tensor, as in Hugging
Face's outputs; being a dict, a tokenizer's output also unpacks into a model: ``model(**enc)``.
"""


class ModelOutput(dict):
    """A dict with attribute access to its keys."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}; its fields are {list(self)}") from None

