import { webchatFixtures, webchatRig } from "../webchat/contract-rig.js";
import { runChannelContract } from "./channel.contract.js";

runChannelContract({
  name: "webchat",
  make: webchatRig,
  fixtures: webchatFixtures,
  skip: {
    attachment: "the live chat carries text and button taps only: there is no upload in its protocol",
    "rate limit": "no platform API behind it: a reply is written to the visitor's history and pushed to open sockets",
    "permanent error": "nothing can refuse a reply for good: an offline visitor reads it in the history later",
    "stuck platform": "no platform call to hang: the history and the bus belong to the store (test/durability)",
  },
});
