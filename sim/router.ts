// Finds the route of a path: a tree of path segments where a literal segment wins over a {parameter} and a
// request never falls back to the parameter (the API's own paths are built that way: conversations/calls/...).

interface Node<R> {
  literal: Map<string, Node<R>>;
  param?: { name: string; node: Node<R> };
  byMethod: Map<string, R>;
}

const newNode = <R>(): Node<R> => ({ literal: new Map(), byMethod: new Map() });

export class Router<R extends { method: string; path: string }> {
  private readonly root = newNode<R>();

  add(route: R): void {
    let node = this.root;
    for (const segment of route.path.split('/')) {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param) {
        if (node.param && node.param.name !== param[1])
          throw new Error(`route ${route.path}: {${param[1]}} where another route has {${node.param.name}}`);
        node.param ??= { name: param[1], node: newNode<R>() };
        node = node.param.node;
      } else {
        let next = node.literal.get(segment);
        if (!next) node.literal.set(segment, (next = newNode<R>()));
        node = next;
      }
    }
    if (node.byMethod.has(route.method)) throw new Error(`route ${route.method} ${route.path} is defined twice`);
    node.byMethod.set(route.method, route);
  }

  /** segments: the path after the prefix, split at '/'. */
  match(method: string, segments: string[]): { route: R; params: Record<string, string> } | undefined {
    let node: Node<R> | undefined = this.root;
    const params: Record<string, string> = {};
    for (const segment of segments) {
      const literal: Node<R> | undefined = node.literal.get(segment);
      if (literal) node = literal;
      else if (node.param) {
        params[node.param.name] = segment;
        node = node.param.node;
      } else return undefined;
    }
    const route = node.byMethod.get(method);
    return route && { route, params };
  }
}
