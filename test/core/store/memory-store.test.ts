import { MemoryStore } from '../../../core/store/memory-store.ts';
import { storeContract } from './store-contract.ts';

storeContract('MemoryStore', async () => new MemoryStore({ sweepIntervalMs: 20 }));
