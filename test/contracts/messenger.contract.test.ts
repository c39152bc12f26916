import { messengerFixtures, messengerRig } from "../messenger/contract-rig.js";
import { runChannelContract } from "./channel.contract.js";

runChannelContract({ name: "messenger", make: messengerRig, fixtures: messengerFixtures });
