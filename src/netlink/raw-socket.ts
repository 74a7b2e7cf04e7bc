// The netlink package's raw socket, and nothing else of the package. Its
// index loads every codec it has (rtnetlink, nl80211, WireGuard): some 7 MB
// of heap in each thread that imports it, and the kernel writer runs two
// (main and the command worker). The rest is loaded only with the overlay
// device or the OVS neighbour reader, which use it.
export { RawNetlinkSocket } from 'netlink/dist/raw.js';
