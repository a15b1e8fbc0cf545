// Editor code shared by every node of node-red-contrib-genesys-participants. Node-RED (>= 1.3) serves a module's
// resources/ folder at resources/<module>/<file>; each node's .html loads this file before its own script
// (Node-RED's editor loads a node set's <script src> files before it adds the rest of its html: red.js
// appendConfig). Loaded once per .html: the first load defines window.GenesysEditor, the others leave it as it is.
(function () {
  'use strict';
  if (window.GenesysEditor) {
    return;
  }

  var CONFIG_TYPE = 'genesys-cloud-config';
  var UUID_RE = /^\s*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\s*$/i;
  // ${NAME} as the whole value is substituted by the runtime at deploy (Node-RED runtime lib/flows/util.js,
  // EnvVarPropertyRE = /^\${(\S+)}$/): the same pattern is accepted in every dialog of this package.
  var ENV_RE = /^\$\{\S+\}$/;
  /** A timeout in seconds: more than 0, at most a day (lib/conversation/validate.ts TIMEOUT_SECONDS). */
  var MAX_SECONDS = 86400;

  /**
   * The defaults of a node type, from lib (each node registers them as an exportable node setting, which
   * Node-RED hands to the editor in RED.settings: genesys-await-terminal -> genesysAwaitTerminalDefaults).
   */
  function defaultsOf(type) {
    var name =
      type.replace(/-([a-z])/g, function (m, c) {
        return c.toUpperCase();
      }) + 'Defaults';
    var found = RED.settings[name];
    if (!found) {
      throw new Error(type + ': the runtime did not send ' + name);
    }
    return found;
  }

  /** The helpers of one node type's dialog (texts from its own catalog). */
  function forType(type) {
    function t(key, opts) {
      return RED.nodes.getType(type)._(type + '.' + key, opts);
    }
    /** The reason a value is refused, naming the field (Node-RED lists it under the node's red triangle too). */
    function reason(key, field) {
      return t('errors.' + key, { field: t('label.' + field) });
    }
    /** Empty (= the msg default), a UUID or ${ENV_VAR}: true, else the reason. */
    function checkId(v, field) {
      return !v || UUID_RE.test(v) || ENV_RE.test(v) || reason('uuid', field);
    }
    /** The type of TypedInput `field` now: the dialog's while it is open, else the node's. */
    function typeOf(node, field) {
      var input = $('#node-input-' + field + 'Type');
      return input.length ? input.val() : node[field + 'Type'];
    }
    // A validator with a second argument returns its reason (Node-RED 3.1+). Any TypedInput type other
    // than a literal string is checked per message by the runtime.
    function idValidator(field) {
      return function (v, opt) {
        var type = typeOf(this, field);
        if (type && type !== 'str') {
          return true;
        }
        var valid = checkId(v, field);
        return valid === true || (opt ? valid : false);
      };
    }
    /** Empty (= the msg, else lib's default) or a number of seconds in (0, 86400]. */
    function seconds(field) {
      return function (v, opt) {
        var n = Number(v);
        return v === '' || v === undefined || (!isNaN(n) && n > 0 && n <= MAX_SECONDS) || (opt ? reason('seconds', field) : false);
      };
    }
    // The TypedInput's own "str" type (as Node-RED 4.1 and 5 define it: red.js typedInput allOptions.str)
    // plus validate: Node-RED puts a node validator's reason on the TypedInput's hidden input, where no
    // one can hover it; the TypedInput shows its own on the field.
    function stringType(check) {
      return { value: 'str', label: 'string', icon: 'red/images/typedInput/az.svg', validate: check };
    }
    function idString(field) {
      return stringType(function (v) {
        return checkId(v, field);
      });
    }
    function typedInput(field, dflt, types) {
      $('#node-input-' + field).typedInput({ default: dflt, types: types, typeField: '#node-input-' + field + 'Type' });
    }
    /** A TypedInput for a Genesys id: from msg (the default) or anywhere else, or typed (checked). */
    function idInput(field) {
      typedInput(field, 'msg', ['msg', 'flow', 'global', 'env', idString(field), 'jsonata']);
    }
    /** A TypedInput for a target selector object (msg.target by default). */
    function selectorInput(field) {
      typedInput(field, 'msg', ['msg', 'flow', 'global', 'json', 'jsonata', 'env']);
    }
    return {
      t: t,
      reason: reason,
      checkId: checkId,
      typeOf: typeOf,
      idValidator: idValidator,
      seconds: seconds,
      stringType: stringType,
      idString: idString,
      typedInput: typedInput,
      idInput: idInput,
      selectorInput: selectorInput,
      defaults: defaultsOf(type),
    };
  }

  // A new node uses the only genesys-cloud-config there is (Node-RED's editor leaves a new node at "none").
  function pickOnlyConfig() {
    if (this.genesys) {
      return;
    }
    var ws = RED.workspaces.active();
    var found = [];
    RED.nodes.eachConfig(function (c) {
      if (c.type === CONFIG_TYPE && (!c.z || c.z === ws)) {
        found.push(c.id);
      }
    });
    if (found.length === 1) {
      this.genesys = found[0];
    }
  }

  /**
   * Registers a flow node of this package: its palette place, colour, config picker, version and labels from
   * its catalog (paletteLabel, inputLabel, outputLabel), then what `def` sets.
   */
  function registerFlowNode(type, def) {
    var common = {
      category: 'Genesys Cloud',
      color: '#FF7B52',
      inputs: 1,
      outputs: 1,
      onadd: pickOnlyConfig,
      paletteLabel: function () {
        return this._(type + '.paletteLabel');
      },
      label: function () {
        return this.name || this._(type + '.paletteLabel');
      },
      labelStyle: function () {
        return this.name ? 'node_label_italic' : '';
      },
      inputLabels: function () {
        return this._(type + '.inputLabel');
      },
      outputLabels: function () {
        return this._(type + '.outputLabel');
      },
    };
    var out = $.extend(common, def);
    // Every node's config carries the version of its schema (nodes/<node>/migrations.ts).
    out.defaults = $.extend(
      {
        name: { value: '' },
        version: { value: defaultsOf(type).version },
        genesys: { value: '', type: CONFIG_TYPE, required: true },
      },
      def.defaults,
    );
    RED.nodes.registerType(type, out);
  }

  window.GenesysEditor = {
    UUID_RE: UUID_RE,
    ENV_RE: ENV_RE,
    forType: forType,
    defaultsOf: defaultsOf,
    registerFlowNode: registerFlowNode,
  };
})();
