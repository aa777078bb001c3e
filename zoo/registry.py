"""The model registry: list, inspect and build models by name.

Nothing in this module imports TensorFlow or Keras. Listing and inspecting the registry must stay
instant (`zoo list` answers in well under two seconds); Keras is imported by a family's builder
only when a model is actually built.

A *family* is one architecture with one config dataclass and one builder. A *model* is a named
variant of a family: a small factory that returns the family's config with the variant's values,
registered with `register_model`, in the timm style:

    @register_model(RESNET, domains=("vision",), input_shape=(224, 224, 3), num_classes=1000)
    def resnet50():
        return ResNetConfig(block="bottleneck", stage_blocks=(3, 4, 6, 3))
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import reprlib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable

DOMAINS = ("vision", "nlp", "speech", "recommendation", "finance")  # the built-in ones; `add_domain` adds more
_ADDED_DOMAINS: list[str] = []

MAX_DIM = 2**63 - 1  # the largest dimension of an input shape (TensorFlow's shapes are int64)

# What a model takes in, and the rank of one example of it (batch axis excluded).
INPUT_KINDS = {
    "image": 3,  # (height, width, channels)
    "sequence": 2,  # (steps, features): spectrogram frames, a multivariate series, raw audio as (samples, 1)
    "tokens": 1,  # (length,) integer token ids, 0 is padding
    "ids": 1,  # (2,) integer [user, item] numbers, 0 is the unknown user or item (recommenders)
    "vector": None,  # any rank; flattened by the model
}


class UnknownModelError(KeyError, ValueError):
    """A model name that is not in the registry. Its message suggests the closest names."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0])


@dataclass(frozen=True)
class Family:
    """One architecture: a config dataclass, the builder that turns it into a Keras model.

    Args:
        name: the family's name (`"resnet"`), used by `list_models(family=...)`.
        config_class: the `@dataclass` whose fields are the family's hyperparameters.
        build: `build(config, *, input_shape, num_classes, name) -> keras.Model`.
        search_space: `search_space(hp, config) -> dict` of config overrides drawn from a Keras
            Tuner `HyperParameters`; see `zoo.tuning`.
        check_input: `check_input(config, input_shape)` raising `ValueError` for an input shape
            the architecture cannot take (beyond the rank, which the registry checks).
        description: one line for listings.
    """

    name: str
    config_class: type
    build: Callable[..., Any]
    search_space: Callable[..., dict]
    check_input: Callable[[Any, tuple], None] | None = None
    description: str = ""
    # Checkpoint tags the builder loads itself (e.g. "imagenet" through keras.applications): for
    # these, `create_model(name, pretrained=tag)` builds with the override `weights=tag`.
    builtin_weights: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelEntry:
    """A registered model: a family, the variant's config, and what it expects by default."""

    name: str
    family: Family
    config: Any
    domains: tuple[str, ...]
    input_kind: str
    input_shape: tuple[int, ...]
    num_classes: int
    params: int | None
    reference: str
    description: str


@dataclass
class ModelCard:
    """What `model_info` tells about a model. `str(card)` is what `zoo info` prints."""

    name: str
    family: str
    domains: tuple[str, ...]
    input_kind: str
    input_shape: tuple[int, ...]
    num_classes: int
    config: dict
    params: int
    reference: str
    description: str
    checkpoints: list[dict] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [
            f"{self.name}: {self.description}" if self.description else self.name,
            f"  family        {self.family}",
            f"  domains       {', '.join(self.domains)}",
            f"  input         {self.input_kind} {format_shape(self.input_shape)}",
            f"  classes       {self.num_classes}",
            f"  parameters    {self.params:,}",
            f"  reference     {self.reference or '-'}",
            "  config (defaults; override any as create_model(name, key=value)):",
        ]
        width = max((len(k) for k in self.config), default=0)
        lines += [f"    {k:<{width}}  {v!r}" for k, v in self.config.items()]
        lines.append("  checkpoints:" if self.checkpoints else "  checkpoints   none")
        width = max((len(c["name"]) for c in self.checkpoints), default=0)
        for ckpt in self.checkpoints:
            metrics = ", ".join(f"{k}={v:.4f}" for k, v in ckpt.get("metrics", {}).items())
            lines.append(f"    {ckpt['name']:<{width}}  {metrics} (held-out)")
        return "\n".join(lines)


@dataclass(frozen=True)
class ModelSpec:
    """How a model was made: `create_model(model, num_classes=..., input_shape=..., **config)`.

    `create_model` attaches it to every model it builds as `model.zoo_spec`; checkpoints and
    `zoo.transfer` read it to rebuild the same architecture.
    """

    model: str
    config: Any  # the family's config dataclass
    input_shape: tuple[int, ...]
    num_classes: int

    def to_json(self) -> dict:
        return {
            "model": self.model,
            "config": dataclasses.asdict(self.config),
            "input_shape": list(self.input_shape),
            "num_classes": self.num_classes,
        }

    @classmethod
    def from_json(cls, data: dict) -> "ModelSpec":
        """The spec that `to_json` wrote (a checkpoint's config.json), every field checked.

        Raises:
            ValueError: `data` is not an object with the keys model, input_shape, num_classes (and
                optionally config); the model is not registered (`UnknownModelError`); the config
                has a key or value the model refuses; the input shape is not one the model takes;
                num_classes is not a positive int.
        """
        if not isinstance(data, dict):
            raise ValueError(
                f"A model spec is an object with the keys {', '.join(SPEC_KEYS)}. "
                f"Received: spec={reprlib.repr(data)}"
            )
        missing = [k for k in SPEC_KEYS if k not in data and k != "config"]
        if missing:
            raise ValueError(
                f"A model spec needs the keys {', '.join(SPEC_KEYS)} (config may be left out); this one lacks "
                f"{', '.join(missing)}. Received: spec={reprlib.repr(data)}"
            )
        entry = get_entry(data["model"])
        config = apply_overrides(entry.name, entry.config, data.get("config", {}))
        return cls(entry.name, config, check_input_shape(entry, config, data["input_shape"]),
                   _check_num_classes(data["num_classes"]))

    def without_builtin_weights(self) -> "ModelSpec":
        """The same architecture, minus weights its builder would load itself (`weights="imagenet"`).

        For rebuilding a model whose weights then come from elsewhere (a checkpoint, a copy), so
        that the rebuild neither downloads nor needs the network.
        """
        if getattr(self.config, "weights", None) in get_entry(self.model).family.builtin_weights:
            return dataclasses.replace(self, config=dataclasses.replace(self.config, weights=None))
        return self

    def build(self):
        """A fresh model of this spec (new weights)."""
        entry = get_entry(self.model)
        model = entry.family.build(self.config, input_shape=self.input_shape, num_classes=self.num_classes, name=entry.name)
        model.zoo_spec = self
        return model


_REGISTRY: dict[str, ModelEntry] = {}
SPEC_KEYS = ("model", "config", "input_shape", "num_classes")  # what `ModelSpec.to_json` writes


def known_domains() -> tuple[str, ...]:
    """The domains models may be registered for: the built-in `DOMAINS` and those `add_domain` added."""
    return (*DOMAINS, *_ADDED_DOMAINS)


def add_domain(name: str) -> None:
    """Let models be registered for a new application domain (its package calls this before registering them).

    Raises:
        ValueError: `name` is not a lowercase identifier (as "vision" or "time_series").
    """
    if not isinstance(name, str) or not name.isidentifier() or name != name.lower():
        raise ValueError(f"A domain's name is a lowercase identifier, as 'vision'. Received: {name!r}")
    if name not in known_domains():
        _ADDED_DOMAINS.append(name)


def register_model(
    family: Family,
    *,
    domains: tuple[str, ...],
    input_shape: tuple[int, ...],
    num_classes: int,
    input_kind: str,
    params: int | None = None,
    reference: str = "",
    name: str | None = None,
) -> Callable:
    """Register a model factory under its function name (or `name`).

    The factory takes no arguments and returns the family's config with the variant's values.

    Args:
        family: the `Family` the config belongs to.
        domains: the application domains the model is meant for (`known_domains()`).
        input_shape: the default shape of one example, batch axis excluded.
        num_classes: the default number of outputs.
        input_kind: one of `INPUT_KINDS`.
        params: the parameter count at the defaults, pinned so that a silent architecture change
            fails the tests, and so that listing never builds a model.
        reference: the paper, as "Authors year, URL".
        name: the registry name, when it differs from the factory's name.

    Example:
        >>> @register_model(MLP, domains=("vision",), input_shape=(64,), num_classes=10,
        ...                 input_kind="vector")
        ... def mlp_digits():
        ...     return MLPConfig(hidden_units=(32,))
    """
    unknown = set(domains) - set(known_domains())
    if unknown:
        raise ValueError(f"Unknown domains {sorted(unknown)}; expected some of {known_domains()} (a new "
                         f"application domain adds its name first: zoo.registry.add_domain(NAME)).")
    if input_kind not in INPUT_KINDS:
        raise ValueError(f"Unknown input_kind; expected one of {list(INPUT_KINDS)}. Received: input_kind={input_kind!r}")

    def decorator(factory: Callable[[], Any]) -> Callable[[], Any]:
        model_name = name or factory.__name__
        config = factory()
        if not isinstance(config, family.config_class):
            raise TypeError(f"{model_name} must return a {family.config_class.__name__}, not {type(config).__name__}.")
        if model_name in _REGISTRY:
            raise ValueError(f"A model named {model_name!r} is already registered.")
        _REGISTRY[model_name] = ModelEntry(
            name=model_name,
            family=family,
            config=config,
            domains=tuple(domains),
            input_kind=input_kind,
            input_shape=tuple(input_shape),
            num_classes=num_classes,
            params=params,
            reference=reference,
            description=(factory.__doc__ or "").strip().splitlines()[0] if factory.__doc__ else "",
        )
        return factory

    return decorator


def list_models(
    pattern: str = "*",
    *,
    family: str | None = None,
    domain: str | None = None,
    pretrained: bool = False,
) -> list[str]:
    """Names of the registered models that match, sorted.

    Args:
        pattern: a shell-style wildcard (`"resnet*"`, `"*_text*"`).
        family: only this family (`"mlp"`, `"cnn"`, `"resnet"`, `"rnn"`, `"textcnn"`, `"transformer"`, `"kws"`, `"keras"`,
            `"mf"`, `"ncf"`, `"two_tower"`, `"sasrec"`).
        domain: only models meant for this domain (one of `known_domains()`).
        pretrained: list checkpoint names `model.tag` instead of model names.

    Example:
        >>> zoo.list_models("resnet*", domain="vision")[:3]
        ['resnet18', 'resnet18_v2', 'resnet20']
    """
    if domain is not None and domain not in known_domains():
        raise ValueError(f"Unknown domain; expected one of {known_domains()}. Received: domain={domain!r}")
    families = {e.family.name for e in _REGISTRY.values()}
    if family is not None and family not in families:
        raise ValueError(f"Unknown family; expected one of {sorted(families)}. Received: family={family!r}")
    names = [
        e.name
        for e in _REGISTRY.values()
        if (family is None or e.family.name == family) and (domain is None or domain in e.domains)
    ]
    if pretrained:
        from keras_zoo import checkpoints

        allowed = set(names)
        names = [c.name for c in checkpoints.available() if c.model in allowed]
    return sorted(n for n in names if fnmatch.fnmatchcase(n, pattern))


def get_entry(name: str) -> ModelEntry:
    """The registry entry for `name`, or an `UnknownModelError` suggesting the closest names."""
    if not isinstance(name, str):  # e.g. a config.json's "model": null
        raise UnknownModelError(
            f"A model name is a string, e.g. 'resnet20'. `zoo list` (or zoo.list_models()) shows all "
            f"{len(_REGISTRY)} models. Received: name={reprlib.repr(name)}"
        )
    try:
        return _REGISTRY[name]
    except KeyError:
        pass
    close = difflib.get_close_matches(name, _REGISTRY, n=5, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise UnknownModelError(
        f"Unknown model {name!r}.{hint} `zoo list` (or zoo.list_models()) shows all {len(_REGISTRY)} models."
    )


def model_info(name: str) -> ModelCard:
    """The model card of a registered model: family, input, defaults, size, reference, checkpoints.

    Example:
        >>> print(zoo.model_info("resnet20"))
    """
    entry = get_entry(name)
    params = entry.params
    if params is None:  # a user's model registered without a pinned count: build it once to count
        params = create_model(name).count_params()
    from keras_zoo import checkpoints

    return ModelCard(
        name=entry.name,
        family=entry.family.name,
        domains=entry.domains,
        input_kind=entry.input_kind,
        input_shape=entry.input_shape,
        num_classes=entry.num_classes,
        config=dataclasses.asdict(entry.config),
        params=params,
        reference=entry.reference,
        description=entry.description,
        checkpoints=[
            {"name": c.name, "metrics": c.metrics} for c in checkpoints.available() if c.model == entry.name
        ],
    )


def resolve_config(name: str, overrides: dict) -> Any:
    """The model's config with `overrides` applied; unknown keys are a `ValueError` naming the valid ones."""
    return apply_overrides(name, get_entry(name).config, overrides)


def apply_overrides(name: str, config: Any, overrides: dict) -> Any:
    """`config` (of model `name`) with `overrides` applied, each key checked and each value validated.

    Raises:
        ValueError: `overrides` is not a mapping; a key that is not a field of the config (the
            message lists the valid ones); a value the config refuses.
    """
    valid = [f.name for f in dataclasses.fields(config)]
    if not isinstance(overrides, Mapping):  # e.g. a config.json's "config": [...]
        raise ValueError(
            f"Config overrides for model {name!r} are a mapping of config keys to values; valid keys: "
            f"{', '.join(valid)}. Received: overrides={reprlib.repr(overrides)}"
        )
    unknown = sorted(set(overrides) - set(valid), key=str)  # key=str: keys of any type, from Python callers
    if unknown:
        received = ", ".join(f"{k}={overrides[k]!r}" for k in unknown)
        raise ValueError(
            f"Unknown config key(s) {unknown} for model {name!r}; valid keys: {', '.join(valid)}. "
            f"Received: {received}"
        )
    hints = typing.get_type_hints(type(config))
    coerced = {k: _coerce(v, hints.get(k)) for k, v in overrides.items()}
    return dataclasses.replace(config, **coerced)


def check_input_shape(entry: ModelEntry, config: Any, input_shape: Any) -> tuple[int, ...]:
    """Validate an input shape for a model before anything is built; return it as a tuple.

    Raises:
        ValueError: not a non-empty sequence of positive ints; not the rank the model's input kind
            takes; a shape the family's `check_input` refuses (e.g. too small for its downsampling).
    """
    try:
        shape = tuple(input_shape)
    except TypeError:
        raise ValueError(f"input_shape must be a tuple of positive ints. Received: input_shape={input_shape!r}") from None
    # The bound: TensorFlow's dimensions are int64, and a family's check may compute with floats.
    if not shape or not all(isinstance(d, int) and not isinstance(d, bool) and 0 < d <= MAX_DIM for d in shape):
        raise ValueError(
            f"input_shape must be a non-empty tuple of positive ints (each at most 2**63 - 1). "
            f"Received: input_shape={reprlib.repr(input_shape)}"
        )
    rank = INPUT_KINDS[entry.input_kind]
    if rank is not None and len(shape) != rank:
        expected = {
            "image": "(height, width, channels)",
            "sequence": "(steps, features)",
            "tokens": "(length,) of token ids",
            "ids": "(2,) of [user, item] ids",
        }[entry.input_kind]
        raise ValueError(
            f"{entry.name} takes {entry.input_kind} inputs of shape {expected}, e.g. "
            f"{entry.input_shape}. Received: input_shape={shape}"
        )
    if entry.family.check_input is not None:
        try:
            entry.family.check_input(config, shape)
        except ValueError as err:
            raise ValueError(f"{entry.name}: {err}") from None
    return shape


def create_model(
    name: str,
    *,
    num_classes: int | None = None,
    input_shape: tuple[int, ...] | None = None,
    pretrained: str | None = None,
    features_only: bool = False,
    **overrides: Any,
):
    """Build a registered model as a Keras functional model named after its registry entry.

    Args:
        name: a registry name (`"resnet50"`) or a checkpoint name (`"resnet20.digits"`).
        num_classes: the number of outputs; defaults to the model's. With
            `classifier_activation=None` and `num_classes=1` the model predicts one value.
        input_shape: the shape of one example, batch axis excluded; defaults to the model's.
        pretrained: a checkpoint tag, a local checkpoint folder, or a URL (see `zoo.checkpoints`).
        features_only: return the model's feature extractor instead (timm's `features_only`): a dict
            of its per-stage maps and pooled features, `zoo.transfer.feature_extractor(model, stages=True)`.
        **overrides: values for fields of the model's config dataclass (`zoo info NAME` lists them).

    Returns:
        model (keras.Model): the model, named after its registry entry.

    Example:
        >>> model = zoo.create_model("resnet20", num_classes=10, input_shape=(32, 32, 3))
        >>> model = zoo.create_model("mlp_small", hidden_units=(64, 32), activation="gelu")
        >>> maps = zoo.create_model("resnet20.cifar10", features_only=True)(images)   # stage1..3, pooled
    """
    if features_only:
        from keras_zoo import transfer

        model = create_model(name, num_classes=num_classes, input_shape=input_shape, pretrained=pretrained,
                             **overrides)
        return transfer.feature_extractor(model, stages=True)
    if isinstance(name, str) and name not in _REGISTRY and "." in name:
        name, tag = name.split(".", 1)
        if pretrained is not None and pretrained != tag:
            raise ValueError(f"Both a checkpoint name and pretrained={pretrained!r} were given; pass one.")
        pretrained = tag
    entry = get_entry(name)
    if pretrained is not None:
        from keras_zoo import checkpoints

        return checkpoints.load(name, pretrained, num_classes=num_classes, input_shape=input_shape, **overrides)
    config = resolve_config(name, overrides)
    num_classes = _check_num_classes(entry.num_classes if num_classes is None else num_classes)
    if num_classes == 1 and getattr(config, "classifier_activation", None) == "softmax":
        raise ValueError(
            "A softmax over one output is always 1.0: pass classifier_activation='sigmoid' for a binary "
            "classifier, or classifier_activation=None to predict a value. "
            "Received: num_classes=1, classifier_activation='softmax'"
        )
    shape = check_input_shape(entry, config, entry.input_shape if input_shape is None else input_shape)
    return ModelSpec(entry.name, config, shape, num_classes).build()


def _check_num_classes(num_classes: Any) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive int. Received: num_classes={num_classes!r}")
    return num_classes


def _coerce(value: Any, hint: Any) -> Any:
    """Lists become tuples for tuple fields, so configs read back from JSON compare equal."""
    if isinstance(value, list) and hint is not None and typing.get_origin(hint) is tuple:
        return tuple(value)
    return value


def format_shape(shape: tuple) -> str:
    return "(" + ", ".join(str(d) for d in shape) + (",)" if len(shape) == 1 else ")")
