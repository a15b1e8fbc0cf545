// How each node's defaults reach its editor: lib owns them (XX_DEFAULTS); the node registers them as an
// exportable node setting, and Node-RED hands those to the editor in RED.settings (its /settings admin
// endpoint), before any node's .html runs: resources/editor.js defaultsOf() reads them there.
// Node-RED requires the setting's name to start with the node type in camel case (runtime lib/settings.js
// registerNodeSettings): genesys-await-terminal -> genesysAwaitTerminalDefaults.

/** The name of a node type's defaults in RED.settings. */
export function editorDefaultsName(type: string): string {
  return `${type.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())}Defaults`;
}

/** registerType's `settings` option that exports `defaults` (lib's, plus the config's current version). */
export function editorDefaults(
  type: string,
  defaults: Record<string, unknown>,
): { [name: string]: { value: Record<string, unknown>; exportable: true } } {
  return { [editorDefaultsName(type)]: { value: defaults, exportable: true } };
}
