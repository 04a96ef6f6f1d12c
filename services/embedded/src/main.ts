import 'reflect-metadata';
import { runService } from '@wharf/config';
import { startEmbedded } from './embedded-app';

runService('embedded', startEmbedded);
