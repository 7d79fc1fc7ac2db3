import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { PropError, checkDns1123Label, checkInteger, checkLabels, show } from './validate';

/**
 * The Kubernetes scalability threshold for Services per cluster
 * (https://github.com/kubernetes/community/blob/master/sig-scalability/configs-and-limits/thresholds.md).
 */
export const FLEET_SIZE_LIMIT = 10_000;

/** Makes fleet member number `index` (0-based) as `id` under `scope`. */
export type FleetMemberFactory<T extends IConstruct> = (scope: Construct, id: string, index: number) => T;

export interface FleetOfProps<T extends IConstruct> {
  /** How many members (0 is allowed: an empty fleet). */
  readonly size: number;
  /** Makes one member; it is called with ids `<prefix>-000`, `<prefix>-001`, … in order. */
  readonly member: FleetMemberFactory<T>;
  /**
   * Member name prefix.
   * @default the construct id
   */
  readonly prefix?: string;
  /**
   * Labels added to every Kubernetes object of every member (for `kubectl get -l`).
   * @default none
   */
  readonly labels?: Record<string, string>;
  /**
   * Allow more than 10,000 members, past the Kubernetes per-cluster Service threshold.
   * @default false
   */
  readonly allowAboveServiceLimit?: boolean;
}

/**
 * `size` identical members named `<prefix>-000` … `<prefix>-399`: numbers are zero-padded to
 * three digits, or more when the fleet needs them (`-0000` … `-9999` for 10,000), so names
 * sort in order.
 *
 * ```ts
 * new FleetOf(this, 'service', { size: 400, member: (scope, id) => new GrpcService(scope, id, { image }) });
 * ```
 *
 * Contract ids: each member's id is its name; changing `prefix` or the padding renames every member.
 */
export class FleetOf<T extends IConstruct> extends Construct {
  public readonly size: number;
  public readonly prefix: string;
  /** The members, in index order. */
  public readonly members: readonly T[];

  /** The name of member `index` in a fleet of `size` with `prefix`. */
  public static memberName(prefix: string, index: number, size: number): string {
    const width = Math.max(3, String(Math.max(size - 1, 0)).length);
    return `${prefix}-${String(index).padStart(width, '0')}`;
  }

  constructor(scope: Construct, id: string, props: FleetOfProps<T>) {
    super(scope, id);
    this.size = checkInteger(this, 'size', props.size, 0);
    if (this.size > FLEET_SIZE_LIMIT && !props.allowAboveServiceLimit) {
      throw new PropError(this, 'size', `size ${show(props.size)} is above ${FLEET_SIZE_LIMIT}, the Kubernetes per-cluster service threshold: expected at most ${FLEET_SIZE_LIMIT}, or set allowAboveServiceLimit`);
    }
    if (typeof props.member !== 'function') throw new PropError(this, 'member', `member ${show(props.member)} is not a factory function`);
    this.prefix = checkDns1123Label(this, 'prefix', props.prefix ?? id);
    // The longest member name must still be a DNS-1123 label.
    checkDns1123Label(this, 'prefix', FleetOf.memberName(this.prefix, Math.max(this.size - 1, 0), this.size));

    const labels = Object.entries(checkLabels(this, 'labels', props.labels) ?? {});
    const members: T[] = new Array(this.size);
    for (let i = 0; i < this.size; i++) {
      const memberId = FleetOf.memberName(this.prefix, i, this.size);
      const member = props.member(this, memberId, i);
      if (member === null || typeof member !== 'object' || typeof (member as IConstruct).node?.path !== 'string') {
        throw new PropError(this, 'member', `member factory returned ${show(member)} for ${memberId}: expected the construct it made`);
      }
      if (member.node.scope !== this) {
        throw new PropError(this, 'member', `member factory made ${memberId} under ${member.node.scope?.node.path ?? 'no scope'}: expected it under the fleet (the scope it was given)`);
      }
      if (labels.length) {
        for (const c of member.node.findAll()) {
          if (c instanceof ApiObject) for (const [k, v] of labels) c.metadata.addLabel(k, v);
        }
      }
      members[i] = member;
    }
    this.members = members;
  }
}
