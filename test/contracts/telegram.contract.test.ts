import { telegramFixtures, telegramRig } from "../telegram/contract-rig.js";
import { runChannelContract } from "./channel.contract.js";

runChannelContract({ name: "telegram", make: telegramRig, fixtures: telegramFixtures });
