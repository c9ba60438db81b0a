// Original file: berth_agent.proto


export interface Platform {
  'os'?: (string);
  'architecture'?: (string);
  'variant'?: (string);
  /**
   * Whether this platform's content is on disk (false: only listed in the index).
   */
  'present'?: (boolean);
}

export interface Platform__Output {
  'os': (string);
  'architecture': (string);
  'variant': (string);
  /**
   * Whether this platform's content is on disk (false: only listed in the index).
   */
  'present': (boolean);
}
