// What code paths ask of switches. Decisions read process memory only; the stores behind this
// (ZooKeeper with watches, or fixed values) keep that memory current.

export type SwitchReader = {
  /** For a percentage switch: whether `key` (an order id) falls in the share on the new path. */
  takesNewPath(name: string, key: string): boolean;
  /** For an on/off switch. */
  isOn(name: string): boolean;
  /** Called after the value of `name` changes. */
  onChange(name: string, listener: () => void): void;
};
