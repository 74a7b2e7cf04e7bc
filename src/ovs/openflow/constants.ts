// OpenFlow 1.3 code points (OpenFlow Switch Specification 1.3.5, "openflow.h"
// appendix), the ONF extension 230 bundle messages that carry OpenFlow 1.4
// bundles over a 1.3 connection, and the Nicira (NXM) match fields Open
// vSwitch uses for tunnel metadata. Code points only: no logic here.

export const OFP_VERSION_1_3 = 0x04;
export const OFP_HEADER_LENGTH = 8;
/** The 16-bit length field of ofp_header caps every message. */
export const OFP_MAX_MESSAGE_LENGTH = 0xffff;

/** ofp_type (§7.1). */
export const OfpType = {
  HELLO: 0,
  ERROR: 1,
  ECHO_REQUEST: 2,
  ECHO_REPLY: 3,
  EXPERIMENTER: 4,
  FEATURES_REQUEST: 5,
  FEATURES_REPLY: 6,
  GET_CONFIG_REQUEST: 7,
  GET_CONFIG_REPLY: 8,
  SET_CONFIG: 9,
  PACKET_IN: 10,
  FLOW_REMOVED: 11,
  PORT_STATUS: 12,
  PACKET_OUT: 13,
  FLOW_MOD: 14,
  GROUP_MOD: 15,
  PORT_MOD: 16,
  TABLE_MOD: 17,
  MULTIPART_REQUEST: 18,
  MULTIPART_REPLY: 19,
  BARRIER_REQUEST: 20,
  BARRIER_REPLY: 21,
  ROLE_REQUEST: 24,
  ROLE_REPLY: 25,
  GET_ASYNC_REQUEST: 26,
  GET_ASYNC_REPLY: 27,
  SET_ASYNC: 28,
} as const;

/** ofp_hello_elem_type (§7.5.1). */
export const OFPHET_VERSIONBITMAP = 1;

/** ofp_flow_mod_command (§7.3.4.1). */
export const OfpFlowModCommand = {
  ADD: 0,
  MODIFY: 1,
  MODIFY_STRICT: 2,
  DELETE: 3,
  DELETE_STRICT: 4,
} as const;

/** ofp_flow_mod_flags. */
export const OFPFF_SEND_FLOW_REM = 1 << 0;
export const OFPFF_CHECK_OVERLAP = 1 << 1;
export const OFPFF_RESET_COUNTS = 1 << 2;
export const OFPFF_NO_PKT_COUNTS = 1 << 3;
export const OFPFF_NO_BYT_COUNTS = 1 << 4;

/** ofp_flow_removed_reason. */
export const OfpFlowRemovedReason = {
  IDLE_TIMEOUT: 0,
  HARD_TIMEOUT: 1,
  DELETE: 2,
  GROUP_DELETE: 3,
} as const;

/** Reserved port numbers (ofp_port_no). */
export const OFPP_MAX = 0xffffff00;
export const OFPP_IN_PORT = 0xfffffff8;
export const OFPP_TABLE = 0xfffffff9;
export const OFPP_NORMAL = 0xfffffffa;
export const OFPP_FLOOD = 0xfffffffb;
export const OFPP_ALL = 0xfffffffc;
export const OFPP_CONTROLLER = 0xfffffffd;
export const OFPP_LOCAL = 0xfffffffe;
export const OFPP_ANY = 0xffffffff;

/** Reserved group numbers (ofp_group). */
export const OFPG_MAX = 0xffffff00;
export const OFPG_ALL = 0xfffffffc;
export const OFPG_ANY = 0xffffffff;

export const OFPTT_ALL = 0xff;
export const OFP_NO_BUFFER = 0xffffffff;
export const OFPCML_NO_BUFFER = 0xffff;

/** ofp_group_mod_command (§7.3.4.2). */
export const OfpGroupModCommand = { ADD: 0, MODIFY: 1, DELETE: 2 } as const;

/** ofp_group_type. */
export const OfpGroupType = { ALL: 0, SELECT: 1, INDIRECT: 2, FF: 3 } as const;

/** ofp_instruction_type (§7.2.4). */
export const OfpInstructionType = {
  GOTO_TABLE: 1,
  WRITE_METADATA: 2,
  WRITE_ACTIONS: 3,
  APPLY_ACTIONS: 4,
  CLEAR_ACTIONS: 5,
  METER: 6,
  EXPERIMENTER: 0xffff,
} as const;

/** ofp_action_type (§7.2.5). */
export const OfpActionType = {
  OUTPUT: 0,
  COPY_TTL_OUT: 11,
  COPY_TTL_IN: 12,
  SET_MPLS_TTL: 15,
  DEC_MPLS_TTL: 16,
  PUSH_VLAN: 17,
  POP_VLAN: 18,
  PUSH_MPLS: 19,
  POP_MPLS: 20,
  SET_QUEUE: 21,
  GROUP: 22,
  SET_NW_TTL: 23,
  DEC_NW_TTL: 24,
  SET_FIELD: 25,
  PUSH_PBB: 26,
  POP_PBB: 27,
  EXPERIMENTER: 0xffff,
} as const;

/** ofp_multipart_type (§7.3.5). */
export const OfpMultipartType = {
  DESC: 0,
  FLOW: 1,
  AGGREGATE: 2,
  TABLE: 3,
  PORT_STATS: 4,
  QUEUE: 5,
  GROUP: 6,
  GROUP_DESC: 7,
  GROUP_FEATURES: 8,
  PORT_DESC: 13,
} as const;

export const OFPMPF_REQ_MORE = 1;
export const OFPMPF_REPLY_MORE = 1;

/** ofp_config_flags / SET_CONFIG. */
export const OFPC_FRAG_NORMAL = 0;

/** ofp_error_type (§7.4.4). */
export const OfpErrorType = {
  HELLO_FAILED: 0,
  BAD_REQUEST: 1,
  BAD_ACTION: 2,
  BAD_INSTRUCTION: 3,
  BAD_MATCH: 4,
  FLOW_MOD_FAILED: 5,
  GROUP_MOD_FAILED: 6,
  PORT_MOD_FAILED: 7,
  TABLE_MOD_FAILED: 8,
  QUEUE_OP_FAILED: 9,
  SWITCH_CONFIG_FAILED: 10,
  ROLE_REQUEST_FAILED: 11,
  METER_MOD_FAILED: 12,
  TABLE_FEATURES_FAILED: 13,
  EXPERIMENTER: 0xffff,
} as const;

/** OXM classes (§7.2.3.2). */
export const OxmClass = {
  /** Nicira extensible match, "NXM_NX_*" fields (Open vSwitch). */
  NXM_1: 0x0001,
  OPENFLOW_BASIC: 0x8000,
  EXPERIMENTER: 0xffff,
} as const;

/** OFPXMT_OFB_* fields of the OPENFLOW_BASIC class that this writer uses. */
export const OxmBasicField = {
  IN_PORT: 0,
  ETH_DST: 3,
  ETH_SRC: 4,
  ETH_TYPE: 5,
  IP_PROTO: 10,
  IPV4_SRC: 11,
  IPV4_DST: 12,
  IPV6_SRC: 26,
  IPV6_DST: 27,
} as const;

/** Open vSwitch NXM_NX_* fields (include/openvswitch/meta-flow.h). */
export const NxmField = {
  /** tun_dst: the outer IPv4 destination of a tunnelled packet. */
  TUN_IPV4_DST: 32,
  /** tun_ipv6_dst. */
  TUN_IPV6_DST: 110,
} as const;

export const ETH_TYPE_IPV4 = 0x0800;
export const ETH_TYPE_IPV6 = 0x86dd;

/**
 * ONF extension 230: OpenFlow 1.4 bundles on OpenFlow 1.3 as experimenter
 * messages (Open vSwitch: OFPRAW_ONFT13_BUNDLE_CONTROL = ONFT 1.3 (2300),
 * OFPRAW_ONFT13_BUNDLE_ADD_MESSAGE = ONFT 1.3 (2301)).
 */
export const ONF_EXPERIMENTER_ID = 0x4f4e4600;
export const ONFT_BUNDLE_CONTROL = 2300;
export const ONFT_BUNDLE_ADD_MESSAGE = 2301;

/** ofp_bundle_ctrl_type (OpenFlow 1.4 §7.3.9). */
export const OfpBundleCtrlType = {
  OPEN_REQUEST: 0,
  OPEN_REPLY: 1,
  CLOSE_REQUEST: 2,
  CLOSE_REPLY: 3,
  COMMIT_REQUEST: 4,
  COMMIT_REPLY: 5,
  DISCARD_REQUEST: 6,
  DISCARD_REPLY: 7,
} as const;

/** ofp_bundle_flags. */
export const OFPBF_ATOMIC = 1 << 0;
export const OFPBF_ORDERED = 1 << 1;

/** ONF 1.3 bundle error codes (experimenter errors; OpenFlow 1.4: OFPET_BUNDLE_FAILED codes + 2300). */
export const OnfBundleError = {
  UNKNOWN: 2300,
  EPERM: 2301,
  BAD_ID: 2302,
  BUNDLE_EXIST: 2303,
  BUNDLE_CLOSED: 2304,
  OUT_OF_BUNDLES: 2305,
  BAD_TYPE: 2306,
  BAD_FLAGS: 2307,
  MSG_BAD_LEN: 2308,
  MSG_BAD_XID: 2309,
  MSG_UNSUP: 2310,
  MSG_CONFLICT: 2311,
  MSG_TOO_MANY: 2312,
  MSG_FAILED: 2313,
  TIMEOUT: 2314,
  BUNDLE_IN_PROGRESS: 2315,
} as const;
