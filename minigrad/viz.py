"""Pictures for the chapters in ``notebooks/``: bilingual labels and the computational graph.

    from minigrad import viz
    ax.set_xlabel(viz.label("learning rate", "学习率"))   # '学习率 learning rate' with a CJK font, else English
    viz.draw_graph(loss, {"W1": W1, "b1": b1})            # the graph that backward() will walk, drawn

matplotlib is imported only when a function here needs it, so ``import minigrad`` never pulls it in.

Labels: matplotlib draws a character its font lacks as an empty box. ``label`` therefore adds the
Chinese name only when a font with CJK glyphs is installed (``cjk_font``), and registers that font
as a fallback; without one the label stays English.

The graph: ``graph(tensor)`` lists the nodes and edges that ``tensor.grad_fn`` recorded (each op's
``next_edges``); ``draw_graph`` lays them out in columns, inputs on the left and the result on the
right, and draws them with matplotlib (no Graphviz binary needed).
"""
import functools

# fonts that carry CJK glyphs, most common first (Linux, macOS, Windows)
_CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
              "WenQuanYi Micro Hei", "PingFang SC", "Heiti SC", "STHeiti", "Microsoft YaHei", "SimHei",
              "Arial Unicode MS")


@functools.lru_cache(maxsize=None)
def cjk_font():
    """The name of an installed font that can draw Chinese, registered as matplotlib's fallback
    font; None when there is none."""
    from matplotlib import font_manager, rcParams
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in _CJK_FONTS:
        if name in installed:
            rcParams['font.sans-serif'] = [rcParams['font.sans-serif'][0], name] + list(rcParams['font.sans-serif'][1:])
            return name
    return None


def label(english, chinese=None):
    """'中文 English' when a CJK font is installed, else 'English' (never boxes)."""
    if chinese and cjk_font():
        return f"{chinese} {english}"
    return english


def graph(tensor, names=None):
    """The graph that made ``tensor``: ``(nodes, edges)``.

    ``nodes`` maps a key to ``(text, kind)``: kind is 'op' for a recorded operation (its
    ``grad_fn``), 'leaf' for a tensor that requires a gradient (named from ``names``, a dict
    {name: tensor}, else 'leaf'). ``edges`` are ``(from_key, to_key)`` pairs in the direction the
    forward pass ran: from an input to the op that used it.
    """
    if tensor.grad_fn is None:
        raise ValueError("this tensor has no grad_fn: build it from tensors with requires_grad=True")
    by_id = {id(t): n for n, t in (names or {}).items()}
    nodes, edges, stack = {}, [], [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if id(node) in nodes:
            continue
        nodes[id(node)] = (node.name(), 'op')
        for edge in node.next_edges:
            if edge is None:                      # an input that needs no gradient: not in the graph
                continue
            parent, leaf, shape, _ = edge
            if parent is None:                    # a leaf: the slot holds the tensor itself
                nodes[id(leaf)] = (f"{by_id.get(id(leaf), 'leaf')}\n{tuple(shape)}", 'leaf')
                edges.append((id(leaf), id(node)))
            else:
                edges.append((id(parent), id(node)))
                stack.append(parent)
    return nodes, edges


def draw_graph(tensor, names=None, ax=None, title=None):
    """Draw the graph that made ``tensor`` (see ``graph``); returns the matplotlib Figure.

    Leaves are green boxes, ops blue; the result stands on the right, each node one column left of
    the first node that uses it.
    """
    import matplotlib.pyplot as plt
    nodes, edges = graph(tensor, names)
    depth = {key: 0 for key in nodes}             # longest path to the result: how far left a node stands
    for _ in range(len(nodes)):
        changed = False
        for a, b in edges:
            if depth[a] < depth[b] + 1:
                depth[a], changed = depth[b] + 1, True
        if not changed:
            break
    width = max(depth.values()) + 1
    users = {key: [b for a, b in edges if a == key] for key in nodes}
    pos = {}
    for d in range(width):                        # right to left: each node near the nodes that use it
        keys = [k for k in nodes if depth[k] == d]
        keys.sort(key=lambda k: -sum(pos[u][1] for u in users[k]) / max(len(users[k]), 1))
        for i, key in enumerate(keys):
            pos[key] = (width - 1 - d, (len(keys) - 1) / 2 - i)
    height = max(sum(depth[k] == d for k in nodes) for d in range(width))
    if ax is None:
        _, ax = plt.subplots(figsize=(1.9 * width + 0.5, 1.0 * height + 0.8))
    for a, b in edges:
        ax.annotate("", xy=pos[b], xytext=pos[a],
                    arrowprops=dict(arrowstyle="->", color="grey", shrinkA=22, shrinkB=22))
    for key, (text, kind) in nodes.items():
        colour = "#d8f0d8" if kind == 'leaf' else "#dbe8fb"
        ax.text(*pos[key], text, ha="center", va="center", fontsize=9,
                bbox=dict(boxstyle="round,pad=0.4", facecolor=colour, edgecolor="grey"))
    ax.set_xlim(-0.7, width - 0.3)
    ax.set_ylim(-height / 2 - 0.2, height / 2 + 0.2)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax.figure
