import { zaloFixtures, zaloRig } from "../zalo/contract-rig.js";
import { runChannelContract } from "./channel.contract.js";

runChannelContract({ name: "zalo", make: zaloRig, fixtures: zaloFixtures });
