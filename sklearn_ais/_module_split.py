"""Split a researcher's own network into trunk and head, with ``torch.fx``.

A network of one's own (a CLIP image encoder loaded with its own package, a
model from a paper) is cut at a ``layer`` (as torch-cam's ``target_layer`` or
thingsvision's ``module_name``): the trunk runs the network up to that layer
(:class:`~sklearn_ais._backbones.HookTrunk`), whose output are the feature
maps; the head is the rest of the network from those maps to the ``output``
that is the embedding (a module's output, or the network's own output).

The head is found by tracing the network with ``torch.fx`` (``layer`` and
``output`` are kept as single calls) and keeping the part of the graph
between the two, as a :class:`torch.fx.GraphModule` whose one input replaces
the layer's output. It must be a function of the maps alone: a value computed
before the cut from the input (a skip connection across the cut, the input
image itself) is refused with the node that needs it. A network that cannot
be traced is refused with fx's reason; the caller may then pass the head as a
module of their own. Either way the split is checked on a probe batch: the
head applied to the trunk's maps must give the network's own output.

Transformer tokens ``(n, T, C)`` on a square grid (``T = s * s``, no class
token) are laid out as ``(n, C, s, s)`` maps, row by row; the head lays them
back out as tokens before running the network's own code.
"""

import math

import torch
from torch import fx, nn

from ._backbones import (
    Backbone,
    HookTrunk,
    TokensToMaps,
    _capture_first_output,
    _StopForward,
    find_conv_layer,
)
from ._images import DEFAULT_SIZE, IMAGENET_MEAN, IMAGENET_STD
from ._torch_utils import eval_mode

# How close the split's output must be to the network's own (relative to the
# output's largest absolute value, when it exceeds 1).
TOLERANCE = 1e-5
_PROBE_IMAGES = 2
_PROBE_SEED = 0
_HEAD_HINT = (
    "Pass head= a module that maps the layer's output to the embedding, or "
    "cut at another layer."
)


class _CutTracer(fx.Tracer):
    """An fx tracer that keeps the named modules as single calls.

    The modules containing them are traced through (torch's own containers,
    e.g. ``nn.TransformerEncoder``, are otherwise single calls), so the cut
    and the output appear as nodes of the graph.
    """

    def __init__(self, names=()):
        super().__init__()
        self.names = tuple(names)

    def is_leaf_module(self, m, module_qualified_name):
        if module_qualified_name in self.names:
            return True
        if any(name.startswith(module_qualified_name + ".") for name in self.names):
            return False
        return super().is_leaf_module(m, module_qualified_name)


class TokensHead(nn.Module):
    """Lay ``(n, C, s, s)`` maps out as ``(n, s * s, C)`` tokens; run ``head``."""

    def __init__(self, head):
        super().__init__()
        self.head = head

    def forward(self, maps):
        return self.head(maps.flatten(2).transpose(1, 2))


def submodule(model, name, parameter):
    """``model``'s submodule ``name``, or a ValueError naming what exists."""
    try:
        return model.get_submodule(name)
    except AttributeError as exc:
        names = [n for n, _ in model.named_modules() if n]
        shown = ", ".join(names[:20]) + (
            f" and {len(names) - 20} more" if len(names) > 20 else ""
        )
        raise ValueError(
            f"{type(model).__name__} has no module {name!r} ({parameter}=): it must "
            "be a dotted module name as in model.named_modules(), e.g. one of: "
            f"{shown}."
        ) from exc


def trace_head(model, layer, output=None):
    """The part of ``model`` from ``layer``'s output to ``output``, as a GraphModule.

    Parameters
    ----------
    model : torch.nn.Module
        The network (its modules are shared with the head, not copied).
    layer : str
        Module whose output is the cut (the head's one input).
    output : str or None, default=None
        Module whose output is the embedding; ``None`` is the network's own
        output.

    Returns
    -------
    head : torch.fx.GraphModule
        ``head(maps)`` computes ``output`` from ``layer``'s output.

    Raises
    ------
    ValueError
        If the network cannot be traced, calls ``layer`` or ``output`` other
        than once, returns no single tensor (with ``output=None``), or if the
        part between the two needs any other value computed before the cut.
    """
    names = [name for name in (layer, output) if name is not None]
    try:
        # In eval mode: a forward reading self.training (functional dropout,
        # batch norm) is traced as it runs at inference.
        with eval_mode(model):
            graph = _CutTracer(names).trace(model)
    except Exception as exc:  # fx raises many kinds of errors
        raise ValueError(
            f"torch.fx cannot trace {type(model).__name__}, so its head cannot be "
            f"split off automatically ({type(exc).__name__}: {exc}). "
            "Pass head= a module that maps the layer's output to the embedding."
        ) from exc
    cut = _single_call(graph, layer, "layer")
    if output is None:
        end = next(node for node in graph.nodes if node.op == "output").args[0]
        if not isinstance(end, fx.Node):
            raise ValueError(
                f"{type(model).__name__} returns {type(end).__name__} values, not "
                "one tensor: pass output= the module whose output is the embedding."
            )
    else:
        end = _single_call(graph, output, "output")
    after = _descendants(cut)
    where = "the network's output" if output is None else repr(output)
    if end is cut or end not in after:
        raise ValueError(
            f"{where} does not come after layer {layer!r} (it is the layer's "
            "output, or is computed before or apart from it): the embedding "
            "must be computed from the maps."
        )
    needed = _ancestors(end, stop=cut)
    _refuse_values_before_cut(graph, needed, after, layer, where)

    head_graph = fx.Graph()
    env = {cut: head_graph.placeholder("maps")}
    for node in graph.nodes:
        if node in needed:
            env[node] = head_graph.node_copy(node, lambda arg: env[arg])
    head_graph.output(env[end])
    head_graph.lint()
    return fx.GraphModule(model, head_graph, class_name="TracedHead")


def _single_call(graph, name, parameter):
    """The one graph node calling module ``name``, or a ValueError."""
    calls = [n for n in graph.nodes if n.op == "call_module" and n.target == name]
    if len(calls) != 1:
        how = "never calls it" if not calls else f"calls it {len(calls)} times"
        raise ValueError(
            f"Module {name!r} ({parameter}=) cannot be cut at: the traced forward "
            f"{how}. Choose a module called once by the forward."
        )
    return calls[0]


def _descendants(node):
    """Every node computed from ``node``, itself included."""
    seen, stack = set(), [node]
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(current.users)
    return seen


def _ancestors(node, stop):
    """``node`` and every node it needs, not looking past ``stop`` (excluded)."""
    seen, stack = set(), [node]
    while stack:
        current = stack.pop()
        if current is stop or current in seen:
            continue
        seen.add(current)
        stack.extend(current.all_input_nodes)
    return seen


def _refuse_values_before_cut(graph, needed, after, layer, where):
    """ValueError if the head needs a value computed from the input before the cut."""
    from_input = set()
    for node in graph.nodes:  # topological order
        if node.op == "placeholder" or any(
            arg in from_input for arg in node.all_input_nodes
        ):
            from_input.add(node)
    before = [node for node in graph.nodes if node in needed and node not in after]
    crossing = [
        node
        for node in before
        if node in from_input and any(u in needed and u in after for u in node.users)
    ]
    if crossing:
        node = crossing[0]
        source = _source(node, from_input)
        origin = "" if source is node else f" from {_describe(source)}"
        raise ValueError(
            f"The head from layer {layer!r} to {where} is not a function of the "
            f"maps alone: it also uses {_describe(node)} (fx node {node.name!r}), "
            f"computed before the cut{origin} (a skip connection across "
            f"{layer!r}?). " + _HEAD_HINT
        )


def _source(node, from_input):
    """The nearest module call or input that ``node`` is computed from."""
    queue, seen = [node], set()
    while queue:
        current = queue.pop(0)
        if current.op in ("call_module", "placeholder"):
            return current
        seen.add(current)
        queue.extend(
            arg
            for arg in current.all_input_nodes
            if arg in from_input and arg not in seen
        )
    return node


def _describe(node):
    if node.op == "placeholder":
        return f"the network's input {node.target!r}"
    if node.op == "call_module":
        return f"the output of module {node.target!r}"
    if node.op == "call_method":
        return f"the result of .{node.target}()"
    return f"the result of {getattr(node.target, '__name__', node.target)}()"


def split_module(
    model,
    layer=None,
    output=None,
    head=None,
    *,
    name=None,
    mean=IMAGENET_MEAN,
    std=IMAGENET_STD,
    input_size=DEFAULT_SIZE,
    tolerance=TOLERANCE,
):
    """Cut a researcher's own network into trunk and head (see the module docstring).

    Parameters
    ----------
    model : torch.nn.Module
        The network (used as is, not copied; its modules are shared).
    layer : str or None, default=None
        Module whose output are the feature maps; ``None`` finds the deepest
        module with a spatial 4-D output.
    output : str or None, default=None
        Module whose output is the embedding; ``None`` is the network's own
        output.
    head : torch.nn.Module or None, default=None
        ``None`` traces the head with fx; otherwise the module mapping
        ``layer``'s output to the embedding (used as is).
    name : str or None, default=None
        Name of the network; defaults to the class name in lower case.
    mean, std : tuple of float
        Input normalisation, recorded in the backbone.
    input_size : tuple of int, default=(224, 224)
        Size of the probe images.
    tolerance : float, default=1e-5
        Largest difference between the split's output and the network's own
        on the probe, relative to the output's scale when it exceeds 1.

    Returns
    -------
    backbone : Backbone
        Trunk, head (maps to ``(n, d)`` embeddings), the layer, the number of
        maps and the whole network.
    """
    name = type(model).__name__.lower() if name is None else name
    if layer is None:
        layer, _ = find_conv_layer(model, tuple(input_size))
    submodule(model, layer, "layer")
    if output is not None:
        submodule(model, output, "output")
        if output == layer:
            raise ValueError(
                f"output={output!r} is the layer itself: the embedding must be "
                "computed from the maps by a head after the layer."
            )
    if head is None:
        head = trace_head(model, layer, output)
    trunk = HookTrunk(model, layer)
    probe = _probe(input_size, model)
    with torch.inference_mode(), eval_mode(model), eval_mode(head):
        cut = trunk(probe)
        post = _maps_layout(cut, layer)
        if post is not None:
            trunk.post, head = post, TokensHead(head)
        maps = trunk.post(cut)
        expected = _output_at(model, output, probe)
        embedding = head(maps)
        if embedding.ndim > 2:
            head = nn.Sequential(head, nn.Flatten(1))
            embedding = embedding.flatten(1)
    _check_split(embedding, expected, layer, output, tolerance)
    return Backbone(
        name=name,
        trunk=trunk,
        head=head,
        mean=tuple(mean),
        std=tuple(std),
        input_size=tuple(input_size),
        layer=layer,
        n_maps=int(maps.shape[1]),
        model=model,
    )


def _probe(input_size, model):
    """A fixed random batch of images, without touching torch's global generator."""
    generator = torch.Generator().manual_seed(_PROBE_SEED)
    probe = torch.randn(_PROBE_IMAGES, 3, *input_size, generator=generator)
    parameter = next(model.parameters(), None)
    return probe if parameter is None else probe.to(parameter.device)


def _maps_layout(cut, layer):
    """None for 4-D maps, ``TokensToMaps`` for square tokens, or a ValueError."""
    shape = tuple(getattr(cut, "shape", ()))
    if not isinstance(cut, torch.Tensor):
        raise ValueError(
            f"Layer {layer!r} returns {type(cut).__name__}, not a tensor of feature "
            "maps (n, C, h, w). Cut at a module that returns one tensor."
        )
    if cut.ndim == 4:
        return None
    if cut.ndim == 3:
        side = math.isqrt(shape[1])
        if side * side == shape[1]:
            return TokensToMaps(grid=(side, side))
        raise ValueError(
            f"Layer {layer!r} returns tokens of shape {shape[1:]} per image: "
            f"{shape[1]} tokens do not lie on a square grid (a class token or "
            "other extra tokens?), so they cannot be laid out as feature maps, "
            "and a head that needs them apart from the maps cannot be re-run "
            "from the maps alone. Cut where the output is (n, C, h, w) maps or "
            "(n, T, C) tokens with T a square number of patch tokens."
        )
    raise ValueError(
        f"Layer {layer!r} returns shape {shape[1:]} per image: feature maps must "
        "be (n, C, h, w), or (n, T, C) tokens on a square grid. Cut at a "
        "convolutional layer (or a transformer block)."
    )


def _output_at(model, output, probe):
    """The network's own embedding of ``probe``: ``output``'s, or its output."""
    if output is None:
        out = model(probe)
    else:
        with _capture_first_output(model.get_submodule(output)) as captured:
            try:
                model(probe)
            except _StopForward:
                pass
        out = captured.get("output")
    if not isinstance(out, torch.Tensor):
        where = "The network" if output is None else f"Module {output!r}"
        raise ValueError(
            f"{where} returns {type(out).__name__}, not one tensor: pass output= "
            "the module whose output is the embedding."
        )
    return out.flatten(1)


def _check_split(embedding, expected, layer, output, tolerance):
    where = "the network's output" if output is None else f"the output of {output!r}"
    if embedding.shape != expected.shape:
        raise ValueError(
            f"The head gives embeddings of shape {tuple(embedding.shape[1:])}, "
            f"but {where} has shape {tuple(expected.shape[1:])}: the head does "
            f"not compute {where} from the maps of {layer!r}."
        )
    error = float((embedding.double() - expected.double()).abs().max())
    scale = max(1.0, float(expected.double().abs().max()))
    if not error <= tolerance * scale:
        raise ValueError(
            f"The head applied to the maps of {layer!r} does not give {where}: "
            f"on a random probe batch they differ by up to {error:.3g} (allowed: "
            f"{tolerance * scale:.3g}). The forward may compute the embedding from "
            "more than the maps (a value computed before the cut, randomness, or "
            "a layer called more than once). " + _HEAD_HINT
        )
