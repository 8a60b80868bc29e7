import { describe, expect, it } from 'vitest';
import { NODE_NAMES, PORT_SPAN, allPorts, checkBasePort, hostName, nodeKind, portsOf } from './topology.js';

describe('port layout', () => {
    it('gives every node its documented ports from the base port', () => {
        expect(portsOf('orderer1', 7000)).toEqual({ listen: 7000, admin: 7001, operations: 7002 });
        expect(portsOf('orderer3', 7000)).toEqual({ listen: 7020, admin: 7021, operations: 7022 });
        expect(portsOf('peer0.org1', 7000)).toEqual({ listen: 7030, chaincode: 7031, operations: 7032 });
        expect(portsOf('peer0.org2', 7000)).toEqual({ listen: 7040, chaincode: 7041, operations: 7042 });
        expect(portsOf('ca.org1', 7000)).toEqual({ listen: 7050, operations: 7052 });
        expect(portsOf('ca.org2', 7000)).toEqual({ listen: 7060, operations: 7062 });
        expect(portsOf('chaincode', 7000)).toEqual({ listen: 7070 });
    });

    it('never reuses a port, and stays inside the span', () => {
        const ports = allPorts(20000);
        expect(new Set(ports).size).toBe(ports.length);
        expect(Math.min(...ports)).toBe(20000);
        expect(Math.max(...ports)).toBeLessThan(20000 + PORT_SPAN);
    });

    it('networks one span apart do not collide', () => {
        const a = new Set(allPorts(20000));
        expect(allPorts(20000 + PORT_SPAN).filter((p) => a.has(p))).toEqual([]);
    });

    it('rejects a base port whose range does not fit', () => {
        expect(() => checkBasePort(80)).toThrow(RangeError);
        expect(() => checkBasePort(65500)).toThrow(RangeError);
        expect(() => checkBasePort(7000.5)).toThrow(RangeError);
        expect(() => checkBasePort(7000)).not.toThrow();
    });

    it('names nodes as cryptogen does and rejects unknown ones', () => {
        expect(NODE_NAMES).toEqual(['orderer1', 'orderer2', 'orderer3', 'peer0.org1', 'peer0.org2', 'ca.org1', 'ca.org2', 'chaincode']);
        expect(hostName('orderer2')).toBe('orderer2.example.com');
        expect(hostName('peer0.org2')).toBe('peer0.org2.example.com');
        expect(hostName('ca.org1')).toBe('ca.org1.example.com');
        expect(() => nodeKind('peer1.org1')).toThrow(/the nodes are orderer1/);
    });
});
